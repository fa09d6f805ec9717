// A TCP connection over loopback that chooses a congestion control by name: `congestion
// NAME` sets TCP_CONGESTION on the connecting socket, sends 1 MiB to the accepting one,
// then prints the algorithm the socket reports. Exit status 2 (with the errno's text)
// when the kernel refuses the name, 1 on any other failure. Built by the struct_ops tests.
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int fail(const char *what)
{
	fprintf(stderr, "%s: %s\n", what, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(addr);
	static char buffer[65536];
	char chosen[16] = "";
	socklen_t chosen_len = sizeof(chosen);
	int listener, client, server;
	size_t sent = 0;

	if (argc != 2)
		return 1;
	listener = socket(AF_INET, SOCK_STREAM, 0);
	if (listener < 0 || bind(listener, (struct sockaddr *)&addr, len) || listen(listener, 1) ||
	    getsockname(listener, (struct sockaddr *)&addr, &len))
		return fail("listen");
	client = socket(AF_INET, SOCK_STREAM, 0);
	if (client < 0)
		return fail("socket");
	if (setsockopt(client, IPPROTO_TCP, TCP_CONGESTION, argv[1], strlen(argv[1]))) {
		fprintf(stderr, "setsockopt TCP_CONGESTION %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	if (connect(client, (struct sockaddr *)&addr, len))
		return fail("connect");
	server = accept(listener, NULL, NULL);
	if (server < 0)
		return fail("accept");
	while (sent < (1 << 20)) {
		ssize_t n = send(client, buffer, sizeof(buffer), 0);
		if (n <= 0)
			return fail("send");
		sent += n;
		for (ssize_t got = 0; got < n;) {
			ssize_t r = recv(server, buffer, sizeof(buffer), 0);
			if (r <= 0)
				return fail("recv");
			got += r;
		}
	}
	if (getsockopt(client, IPPROTO_TCP, TCP_CONGESTION, chosen, &chosen_len))
		return fail("getsockopt");
	printf("%.16s\n", chosen);
	return 0;
}
