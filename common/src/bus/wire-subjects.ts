import { subjects, type Subject } from '../events';

/**
 * Where catalog subjects live on the wire: each under the bus's prefix (`ticketing.ticket.created`), and a
 * listener's dead letters under `<prefix>.dead-letter.<durable>`. The stream holds `<prefix>.>`.
 */
export class WireSubjects {
  constructor(readonly prefix: string) {}

  /** The subject on the wire for a catalog subject. */
  of(subject: Subject): string {
    return `${this.prefix}.${subject}`;
  }

  /** Every subject the stream holds. */
  all(): string {
    return `${this.prefix}.>`;
  }

  deadLetter(durable: string): string {
    return `${this.prefix}.dead-letter.${durable}`;
  }

  /** The catalog subject of a wire subject under this prefix (`ticketing.ticket.created` → `ticket.created`). */
  catalogSubject(wireSubject: string): Subject | undefined {
    const prefix = `${this.prefix}.`;
    if (!wireSubject.startsWith(prefix)) return undefined;
    const subject = wireSubject.slice(prefix.length);
    return subjects.includes(subject as Subject) ? (subject as Subject) : undefined;
  }

  /**
   * One subject, or the wildcard covering several that differ only in their last token. Server 2.9 takes a
   * single `filter_subject` per consumer, so that is the form several subjects must fit.
   */
  filter(catalogSubjects: readonly Subject[]): string {
    const [first, ...rest] = catalogSubjects;
    if (!first) throw new Error('a listener needs at least one subject');
    if (rest.length === 0) return this.of(first);
    const parent = first.slice(0, first.lastIndexOf('.'));
    if (rest.some((subject) => subject.slice(0, subject.lastIndexOf('.')) !== parent)) {
      throw new Error(`subjects ${catalogSubjects.join(', ')} must differ only in their last token`);
    }
    return `${this.prefix}.${parent}.*`;
  }
}
