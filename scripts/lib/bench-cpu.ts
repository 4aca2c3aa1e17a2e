import { readdirSync, readFileSync } from "node:fs";

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
  /** Ticks by pid of every workerd process under this one, and their descendants. */
  workerd: Map<number, number>;
  postgres: number | null;
}

export interface CpuUsage {
  workerdMs: number;
  /** Null when the database is not a process of this run (DATABASE_URL). */
  postgresMs: number | null;
}

/**
 * CPU time of the runtime and of the database over a window, from /proc/<pid>/stat. workerd runs a
 * Worker and its Durable Objects on one thread, so its CPU per call bounds throughput at
 * 1000 ÷ ms per call; every workerd of the run is summed, since all but the row's own sit idle.
 */
export class CpuMeter {
  readonly #postgresPid: number | undefined;

  /** `postgresPid`: the embedded PGlite server's process, when the run started one. */
  constructor(postgresPid: number | undefined) {
    this.#postgresPid = postgresPid;
  }

  sample(): CpuSample {
    const all = readAll();
    const workerd = new Map<number, number>();
    for (const stat of descendants(process.pid, all)) {
      if (stat.name === "workerd") for (const inTree of [stat, ...descendants(stat.pid, all)]) workerd.set(inTree.pid, inTree.ticks);
    }
    const postgres = this.#postgresPid === undefined ? undefined : all.find((stat) => stat.pid === this.#postgresPid);
    return { workerd, postgres: postgres?.ticks ?? null };
  }

  /** What was used since `before`; a process that started in the window counts from zero. */
  since(before: CpuSample): CpuUsage {
    const after = this.sample();
    let ticks = 0;
    for (const [pid, now] of after.workerd) ticks += now - (before.workerd.get(pid) ?? 0);
    const postgres = after.postgres !== null && before.postgres !== null ? after.postgres - before.postgres : null;
    return { workerdMs: toMs(ticks), postgresMs: postgres === null ? null : toMs(postgres) };
  }
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
