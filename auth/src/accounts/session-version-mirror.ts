import type { Executor } from '@ticketing/common/database';
import type { Logger } from '@ticketing/common/logging';
import type { SessionVersions } from '@ticketing/common/middleware';
import { listSessionVersionsRaisedSince } from '../db/users';

/**
 * Keeps Redis's copy of the users' session versions (the revocation feed every service's process holds in
 * memory) in step with auth's database, which is the truth. A version is written right after the change
 * commits; a write that fails (Redis away), or a Redis that lost its data (its marker key gone), is made good
 * by {@link syncIfNeeded}, which service.ts runs every few seconds: it writes again every version raised within
 * a session's lifetime, and the new marker tells every process to load the feed again. Its one piece of
 * state, `behind`, is this process's own: each replica makes good its own failed writes, and the marker
 * covers what any replica wrote before Redis lost it.
 */
export class SessionVersionMirror {
  private behind = false;
  private outageLogged = false;

  constructor(
    private readonly db: Executor,
    private readonly versions: SessionVersions,
    private readonly sessionTtlSeconds: number,
    private readonly logger: Logger,
  ) {}

  /** After a commit that raised `version`: never throws (the database already says so; sync repeats it). */
  async publish(userId: string, version: number): Promise<void> {
    try {
      await this.versions.publish(userId, version, this.sessionTtlSeconds);
    } catch (error) {
      this.behind = true;
      this.logger.warn({ err: error, userId }, 'session version not mirrored yet; written again once Redis answers');
    }
  }

  /**
   * Writes every recent version again when a write failed or Redis lost them, and lets revocations older than
   * a session's lifetime leave the feed (also when nobody revokes anything); quiet while Redis is away.
   */
  async syncIfNeeded(): Promise<void> {
    try {
      await this.versions.forgetExpiredRevocations(this.sessionTtlSeconds);
      if (!this.behind && (await this.versions.isMirrorComplete())) return;
      // Cleared before reading: a write that fails from here on is after the read, and sets it again.
      this.behind = false;
      const since = new Date(Date.now() - this.sessionTtlSeconds * 1000);
      const raised = await listSessionVersionsRaisedSince(this.db, since);
      await this.versions.mirrorAll(
        raised.map(({ userId, sessionVersion }) => ({
          userId,
          version: sessionVersion,
          ttlSeconds: this.sessionTtlSeconds,
        })),
      );
      this.outageLogged = false;
      this.logger.info({ users: raised.length }, 'session versions mirrored to Redis');
    } catch (error) {
      this.behind = true;
      if (!this.outageLogged) {
        this.outageLogged = true;
        this.logger.warn({ err: error }, 'session versions cannot be mirrored; trying again every few seconds');
      }
    }
  }
}
