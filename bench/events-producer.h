// The wake-up latency rows' producer thread (events-producer.c), shared by both readers.
#ifndef EVENTS_PRODUCER_H
#define EVENTS_PRODUCER_H

int start_event_producer(int prog, int count, int pause_us, int cpu);
int join_event_producer(void);

#endif
