import { describeFreshness, describeQueue } from '@/lib/door/freshness';

const NOW = new Date('2026-12-12T20:05:30.000Z');
const fresh = (refreshedAt: string | null, offlineSince: string | null = null) =>
  describeFreshness({ refreshedAt, offlineSince, now: NOW, timeZone: 'UTC' });

describe('how fresh the door says its knowledge is', () => {
  it('when online, then it counts the minutes since the last download', () => {
    expect(fresh('2026-12-12T20:05:10.000Z')).toEqual({ text: 'Revocation list updated just now', stale: false });
    expect(fresh('2026-12-12T20:04:00.000Z')).toEqual({ text: 'Revocation list updated 1 min ago', stale: false });
    expect(fresh('2026-12-12T20:02:00.000Z')).toEqual({ text: 'Revocation list updated 3 min ago', stale: true });
  });

  it('when the last download is an hour old or more, then it names the time instead', () => {
    expect(fresh('2026-12-12T18:58:00.000Z').text).toBe('Revocation list updated at 18:58');
  });

  it('when offline, then it says since when, and how old the list is', () => {
    expect(fresh('2026-12-12T19:58:00.000Z', '2026-12-12T20:02:00.000Z')).toEqual({
      text: 'Offline since 20:02; list from 19:58',
      stale: true,
    });
  });

  it('when nothing was ever downloaded, then it says so', () => {
    expect(fresh(null).text).toBe('Downloading the revocation list…');
    expect(fresh(null, '2026-12-12T20:02:00.000Z').text).toBe(
      'Offline since 20:02; no list downloaded, so passes cannot be checked',
    );
  });

  it('when scans are queued, then it counts them', () => {
    expect([0, 1, 3].map(describeQueue)).toEqual([
      'No scans waiting to upload',
      '1 scan queued for upload',
      '3 scans queued for upload',
    ]);
  });
});
