import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/**
 * USER_HZ, the unit of /proc's CPU times: 100 on every Linux architecture the benchmark runs on
 * (`getconf CLK_TCK`); the kernel keeps it fixed whatever its internal tick rate.
 */
const TICKS_PER_SECOND = 100;

interface ProcessStat {
  pid: number;
  ppid: number;
  name: string;
  /** utime + stime, all threads included (live and exited), in ticks. */
  ticks: number;
}

export interface CpuSample {
  /** Ticks by pid of the row's workerd process tree; empty for a row that goes through no workerd. */
  workerd: Map<number, number>;
  postgres: number | null;
}

export interface CpuUsage {
  /** Null for a row that goes through no workerd (the direct call). */
  workerdMs: number | null;
  /** Null when the database is not a process of this run (DATABASE_URL). */
  postgresMs: number | null;
}

/**
 * CPU time of a row's runtime and of the database over a window, from /proc/<pid>/stat. workerd runs
 * a Worker and its Durable Objects on one thread, so its CPU per call bounds throughput at
 * 1000 ÷ ms per call. Each row is metered on the workerd that serves its origin (found by the port
 * it listens on), so the floors' and the other gateway's background work (alarms delivering audit
 * records) is not counted against it.
 */
export class CpuMeter {
  readonly #postgresPid: number | undefined;
  readonly #pidByOrigin = new Map<string, number>();

  /** `postgresPid`: the embedded PGlite server's process, when the run started one. */
  constructor(postgresPid: number | undefined) {
    this.#postgresPid = postgresPid;
  }

  /** `origin`: the row's way into workerd (one of its direct sockets), or undefined for none. */
  sample(origin: string | undefined): CpuSample {
    const all = readAll();
    const workerd = new Map<number, number>();
    if (origin !== undefined) {
      const root = this.#workerdOf(origin, all);
      for (const stat of all.filter((s) => s.pid === root).concat(descendants(root, all))) workerd.set(stat.pid, stat.ticks);
    }
    const postgres = this.#postgresPid === undefined ? undefined : all.find((stat) => stat.pid === this.#postgresPid);
    return { workerd, postgres: postgres?.ticks ?? null };
  }

  /** What was used since `before`, on the same origin; a process that started in the window counts from zero. */
  since(before: CpuSample, origin: string | undefined): CpuUsage {
    const after = this.sample(origin);
    let ticks = 0;
    for (const [pid, now] of after.workerd) ticks += now - (before.workerd.get(pid) ?? 0);
    const postgres = after.postgres !== null && before.postgres !== null ? after.postgres - before.postgres : null;
    return { workerdMs: origin === undefined ? null : toMs(ticks), postgresMs: postgres === null ? null : toMs(postgres) };
  }

  /** The workerd process (a child of this one) holding the socket that listens on the origin's port. */
  #workerdOf(origin: string, all: ProcessStat[]): number {
    const known = this.#pidByOrigin.get(origin);
    if (known !== undefined) return known;
    const inodes = listeningInodes(Number(new URL(origin).port));
    const owner = descendants(process.pid, all).find((stat) => stat.name === "workerd" && socketInodes(stat.pid).some((inode) => inodes.has(inode)));
    if (!owner) throw new Error(`no workerd of this run listens on ${origin}`);
    this.#pidByOrigin.set(origin, owner.pid);
    return owner.pid;
  }
}

/** Inodes of the TCP sockets listening on `port` (IPv4 and IPv6), from /proc/net/tcp{,6}. */
function listeningInodes(port: number): Set<string> {
  const found = new Set<string>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      // sl local_address rem_address st ... inode: the address ends in ":<port, hex>", LISTEN is 0A.
      const fields = line.trim().split(/\s+/);
      const local = fields[1];
      if (local && fields[3] === "0A" && Number.parseInt(local.slice(local.lastIndexOf(":") + 1), 16) === port && fields[9]) found.add(fields[9]);
    }
  }
  return found;
}

function socketInodes(pid: number): string[] {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  return fds.flatMap((fd) => {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      return match?.[1] ? [match[1]] : [];
    } catch {
      return [];
    }
  });
}

function toMs(ticks: number): number {
  return (ticks * 1000) / TICKS_PER_SECOND;
}

function readAll(): ProcessStat[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((pid) => {
      const stat = readStat(Number(pid));
      return stat ? [stat] : [];
    });
}

/** Null for a process that ended while /proc was being read. */
function readStat(pid: number): ProcessStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // The name is in parentheses and may itself hold spaces or ")": the fields start after the last ")".
  const close = text.lastIndexOf(")");
  const fields = text.slice(close + 2).split(" ");
  // After the name: state, ppid, ...; utime and stime are fields 14 and 15 of the whole line.
  return { pid, ppid: Number(fields[1]), name: text.slice(text.indexOf("(") + 1, close), ticks: Number(fields[11]) + Number(fields[12]) };
}

function descendants(root: number, all: ProcessStat[]): ProcessStat[] {
  const found: ProcessStat[] = [];
  const parents = new Set([root]);
  // Children have larger pids as a rule, but not after pid wrap-around: repeat until nothing is added.
  for (let grew = true; grew; ) {
    grew = false;
    for (const stat of all) {
      if (parents.has(stat.ppid) && !parents.has(stat.pid)) {
        parents.add(stat.pid);
        found.push(stat);
        grew = true;
      }
    }
  }
  return found;
}
