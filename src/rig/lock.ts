/**
 * One run at a time per lab rig: a lock file `<directory>/<rig-id>.lock` created with O_EXCL, holding who
 * took it (owner, pid, host) and until when. A lock is stale, and is broken, when its expiry has passed
 * or its process is gone from this host; a lock held from another host is trusted until it expires.
 */
import { randomUUID } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { hostname, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

export interface RigLockRecord {
  readonly rig: string;
  readonly owner: string;
  readonly pid: number;
  readonly host: string;
  readonly acquiredAt: string;
  readonly expiresAt: string;
  /** Tells this holder's lock from a later one at the same path. */
  readonly token: string;
}

export interface AcquireRigLockOptions {
  /** The rig id: the lock file is `<rig>.lock`. */
  readonly rig: string;
  /** Where lock files live; `defaultLockDirectory()` unless given. Runs that must exclude each other share it. */
  readonly directory?: string;
  /** Who holds it, for the person who finds the rig busy. Default: the user name. */
  readonly owner?: string;
  /** How long the lock holds without renew(). Default 24 h. */
  readonly ttlMs?: number;
}

export const DEFAULT_LOCK_TTL_MS = 24 * 60 * 60 * 1000;
/** A lock file that does not parse may be one another process is writing right now; after this long it is junk. */
const UNREADABLE_GRACE_MS = 10_000;
const ATTEMPTS = 20;
const RIG_ID = /^[a-z0-9][a-z0-9._-]*$/;

/** `$HANLAB_LOCK_DIR`, else `hanlab-locks` in the system temporary directory (one host, every user). */
export function defaultLockDirectory(env: NodeJS.ProcessEnv = process.env): string {
  return env.HANLAB_LOCK_DIR ?? join(tmpdir(), 'hanlab-locks');
}

/** The rig is locked by another run. */
export class RigLockedError extends Error {
  override readonly name = 'RigLockedError';
  constructor(
    readonly path: string,
    /** Undefined when the lock file could not be read. */
    readonly holder: RigLockRecord | undefined,
    detail?: string,
  ) {
    super(
      holder === undefined
        ? `rig lock ${path} is held${detail === undefined ? '' : `: ${detail}`}`
        : `rig ${holder.rig} is locked by ${holder.owner} (pid ${holder.pid} on ${holder.host}) since ${holder.acquiredAt}, until ${holder.expiresAt}; lock file ${path}`,
    );
  }
}

export class RigLock {
  private released = false;

  private constructor(
    readonly path: string,
    private current: RigLockRecord,
  ) {}

  get record(): RigLockRecord {
    return this.current;
  }

  /** Takes the rig's lock, breaking a stale one; RigLockedError when another run holds it. */
  static async acquire(options: AcquireRigLockOptions): Promise<RigLock> {
    if (!RIG_ID.test(options.rig)) throw new RangeError(`rig id ${JSON.stringify(options.rig)} cannot name a lock file`);
    const directory = options.directory ?? defaultLockDirectory();
    await prepareDirectory(directory, options.directory === undefined);
    const path = join(directory, `${options.rig}.lock`);
    const record = newRecord(options);
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      if (await createExclusive(path, JSON.stringify(record, null, 2))) return new RigLock(path, record);
      const holder = await readHolder(path);
      if (holder === undefined) continue; // released meanwhile
      if (staleness(holder) === undefined) throw new RigLockedError(path, holder.record, 'the lock file is being written or unreadable');
      await breakStale(path, holder.text);
    }
    throw new RigLockedError(path, undefined, `still contended after ${ATTEMPTS} attempts`);
  }

  /** Pushes the expiry out by `ttlMs` from now; RigLockedError if the lock is no longer ours (it expired and was taken). */
  async renew(ttlMs: number = DEFAULT_LOCK_TTL_MS): Promise<void> {
    await this.checkStillOurs();
    const renewed = { ...this.current, expiresAt: new Date(Date.now() + checkedTtl(ttlMs)).toISOString() };
    const temporary = `${this.path}.${renewed.token}.tmp`;
    const handle = await open(temporary, 'w', 0o644);
    try {
      await handle.writeFile(JSON.stringify(renewed, null, 2));
    } finally {
      await handle.close();
    }
    // rename replaces the lock file in one step, so a reader never sees it half written.
    await rename(temporary, this.path);
    this.current = renewed;
  }

  /** Removes the lock file if it is still ours. Safe to call twice. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    const holder = await readHolder(this.path);
    if (holder?.record?.token === this.current.token) await unlinkIfPresent(this.path);
  }

  private async checkStillOurs(): Promise<void> {
    const holder = await readHolder(this.path);
    if (this.released || holder?.record?.token !== this.current.token) throw new RigLockedError(this.path, holder?.record, 'this run no longer holds it');
  }
}

export function acquireRigLock(options: AcquireRigLockOptions): Promise<RigLock> {
  return RigLock.acquire(options);
}

interface Holder {
  readonly text: string;
  readonly record: RigLockRecord | undefined;
  readonly modifiedAt: number;
}

/** Why the lock at hand may be broken, or undefined while it holds. */
function staleness(holder: Holder, now = Date.now(), thisHost = hostname()): string | undefined {
  const { record } = holder;
  if (record === undefined) return now - holder.modifiedAt > UNREADABLE_GRACE_MS ? 'unreadable lock file' : undefined;
  if (Date.parse(record.expiresAt) <= now) return `expired at ${record.expiresAt}`;
  if (record.host === thisHost && !processAlive(record.pid)) return `process ${record.pid} on ${record.host} has gone`;
  return undefined;
}

function newRecord(options: AcquireRigLockOptions): RigLockRecord {
  const now = Date.now();
  return {
    rig: options.rig,
    owner: options.owner ?? userName(),
    pid: process.pid,
    host: hostname(),
    acquiredAt: new Date(now).toISOString(),
    expiresAt: new Date(now + checkedTtl(options.ttlMs ?? DEFAULT_LOCK_TTL_MS)).toISOString(),
    token: randomUUID(),
  };
}

async function prepareDirectory(directory: string, shared: boolean): Promise<void> {
  const created = await mkdir(directory, { recursive: true });
  // The shared default is used by every user of this host, like /tmp itself.
  if (created !== undefined && shared) await chmod(directory, 0o1777);
}

/** Creates `path` with O_CREAT|O_EXCL; false if it exists. */
async function createExclusive(path: string, text: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(path, 'wx', 0o644);
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    throw error;
  }
  try {
    await handle.writeFile(text);
  } catch (error) {
    await handle.close();
    await unlinkIfPresent(path);
    throw error;
  }
  await handle.close();
  return true;
}

async function readHolder(path: string): Promise<Holder | undefined> {
  try {
    const [text, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    return { text, record: parseRecord(text), modifiedAt: info.mtimeMs };
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Removes a stale lock, unless it changed since it was judged stale. Only the process holding
 * `<lock>.break` removes, so two runs breaking the same stale lock cannot remove the fresh lock one of
 * them has just taken.
 */
async function breakStale(path: string, judgedText: string): Promise<void> {
  const breaker = `${path}.break`;
  if (!(await createExclusive(breaker, String(process.pid)))) {
    const info = await stat(breaker).catch(() => undefined);
    if (info !== undefined && Date.now() - info.mtimeMs > UNREADABLE_GRACE_MS) await unlinkIfPresent(breaker);
    else await new Promise((resolve) => setTimeout(resolve, 20));
    return;
  }
  try {
    const now = await readFile(path, 'utf8').catch(() => undefined);
    if (now === judgedText) await unlinkIfPresent(path);
  } finally {
    await unlinkIfPresent(breaker);
  }
}

function parseRecord(text: string): RigLockRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  const strings = ['rig', 'owner', 'host', 'acquiredAt', 'expiresAt', 'token'].every((key) => typeof record[key] === 'string');
  const valid = strings && Number.isSafeInteger(record.pid) && !Number.isNaN(Date.parse(record.expiresAt as string));
  return valid ? (record as unknown as RigLockRecord) : undefined;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, it is just not ours to signal.
    return errorCode(error) === 'EPERM';
  }
}

async function unlinkIfPresent(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
  }
}

function checkedTtl(ttlMs: number): number {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new RangeError(`lock ttl must be a positive number of ms, got ${ttlMs}`);
  return ttlMs;
}

function userName(): string {
  try {
    return userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? 'unknown'}`;
  }
}

function errorCode(error: unknown): string | undefined {
  return (error as { code?: unknown } | null)?.code as string | undefined;
}
