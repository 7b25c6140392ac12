import { quietChild } from '../src/logging';
import { capturingLogger } from '../src/testing';

const flushed = () => new Promise((resolve) => setImmediate(resolve));

describe('quietChild: an event left out of the sample', () => {
  it('when its work writes info, debug and trace lines, then nothing is written', async () => {
    const { logger, lines } = capturingLogger();
    const quiet = quietChild(logger, { eventId: 'e-1' });
    quiet.info('event handled');
    quiet.info({ step: 2 }, 'more');
    quiet.debug('detail');
    quiet.trace('detail');
    await flushed();
    expect(lines).toEqual([]);
  });

  it('when its work warns or fails, then the line is written at its level with the bindings, as a child would', async () => {
    const { logger, lines } = capturingLogger();
    const quiet = quietChild(logger, { subject: 'order.created', eventId: 'e-2' });
    quiet.warn({ attempt: 3 }, 'retrying');
    quiet.error(new Error('boom'), 'gave up');
    await flushed();
    expect(lines).toMatchObject([
      { level: 40, subject: 'order.created', eventId: 'e-2', attempt: 3, msg: 'retrying' },
      { level: 50, subject: 'order.created', eventId: 'e-2', msg: 'gave up', err: { message: 'boom' } },
    ]);
  });

  it('when it is asked for its level or a child of its own, then it answers as a child at warn', async () => {
    const { logger, lines } = capturingLogger();
    const quiet = quietChild(logger, { eventId: 'e-3' });
    expect(quiet.level).toBe('warn');
    expect(quiet.isLevelEnabled('info')).toBe(false);
    expect(quiet.isLevelEnabled('warn')).toBe(true);
    const step = quiet.child({ step: 'refund' });
    step.info('not written');
    step.warn('written');
    await flushed();
    expect(lines).toMatchObject([{ level: 40, eventId: 'e-3', step: 'refund', msg: 'written' }]);
    expect(lines).toHaveLength(1);
  });
});
