/** `enum bpf_cmd` values for bpf(2). */
export const BpfCommand = {
  /** `BPF_MAP_CREATE` */
  MAP_CREATE: 0,
  /** `BPF_MAP_LOOKUP_ELEM` */
  MAP_LOOKUP_ELEM: 1,
  /** `BPF_MAP_UPDATE_ELEM` */
  MAP_UPDATE_ELEM: 2,
  /** `BPF_MAP_DELETE_ELEM` */
  MAP_DELETE_ELEM: 3,
  /** `BPF_MAP_GET_NEXT_KEY` */
  MAP_GET_NEXT_KEY: 4,
  /** `BPF_PROG_LOAD` */
  PROG_LOAD: 5,
  /** `BPF_OBJ_PIN` */
  OBJ_PIN: 6,
  /** `BPF_OBJ_GET` */
  OBJ_GET: 7,
  /** `BPF_PROG_ATTACH` */
  PROG_ATTACH: 8,
  /** `BPF_PROG_DETACH` */
  PROG_DETACH: 9,
  /** `BPF_PROG_TEST_RUN` */
  PROG_TEST_RUN: 10,
  /** `BPF_PROG_GET_NEXT_ID` */
  PROG_GET_NEXT_ID: 11,
  /** `BPF_MAP_GET_NEXT_ID` */
  MAP_GET_NEXT_ID: 12,
  /** `BPF_PROG_GET_FD_BY_ID` */
  PROG_GET_FD_BY_ID: 13,
  /** `BPF_MAP_GET_FD_BY_ID` */
  MAP_GET_FD_BY_ID: 14,
  /** `BPF_OBJ_GET_INFO_BY_FD` */
  OBJ_GET_INFO_BY_FD: 15,
  /** `BPF_PROG_QUERY` */
  PROG_QUERY: 16,
  /** `BPF_RAW_TRACEPOINT_OPEN` */
  RAW_TRACEPOINT_OPEN: 17,
  /** `BPF_BTF_LOAD` */
  BTF_LOAD: 18,
  /** `BPF_BTF_GET_FD_BY_ID` */
  BTF_GET_FD_BY_ID: 19,
  /** `BPF_TASK_FD_QUERY` */
  TASK_FD_QUERY: 20,
  /** `BPF_MAP_LOOKUP_AND_DELETE_ELEM` */
  MAP_LOOKUP_AND_DELETE_ELEM: 21,
  /** `BPF_MAP_FREEZE` */
  MAP_FREEZE: 22,
  /** `BPF_BTF_GET_NEXT_ID` */
  BTF_GET_NEXT_ID: 23,
  /** `BPF_MAP_LOOKUP_BATCH` */
  MAP_LOOKUP_BATCH: 24,
  /** `BPF_MAP_LOOKUP_AND_DELETE_BATCH` */
  MAP_LOOKUP_AND_DELETE_BATCH: 25,
  /** `BPF_MAP_UPDATE_BATCH` */
  MAP_UPDATE_BATCH: 26,
  /** `BPF_MAP_DELETE_BATCH` */
  MAP_DELETE_BATCH: 27,
  /** `BPF_LINK_CREATE` */
  LINK_CREATE: 28,
  /** `BPF_LINK_UPDATE` */
  LINK_UPDATE: 29,
  /** `BPF_LINK_GET_FD_BY_ID` */
  LINK_GET_FD_BY_ID: 30,
  /** `BPF_LINK_GET_NEXT_ID` */
  LINK_GET_NEXT_ID: 31,
  /** `BPF_ENABLE_STATS` */
  ENABLE_STATS: 32,
  /** `BPF_ITER_CREATE` */
  ITER_CREATE: 33,
  /** `BPF_LINK_DETACH` */
  LINK_DETACH: 34,
  /** `BPF_PROG_BIND_MAP` */
  PROG_BIND_MAP: 35,
} as const;

/** Name of a bpf(2) command, e.g. `BPF_MAP_CREATE`. */
export function commandName(command: number): string {
  for (const [name, value] of Object.entries(BpfCommand)) if (value === command) return `BPF_${name}`;
  return `bpf command ${command}`;
}
