'use client';

import { useEffect, useState } from 'react';

function formatRemaining(milliseconds: number): string {
  const totalSeconds = Math.ceil(milliseconds / 1000);
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  const mmss = `${String(minutes).padStart(2, '0')}:${String(seconds).padStart(2, '0')}`;
  return hours > 0 ? `${hours}:${mmss}` : mmss;
}

/** What a screen reader hears: once a minute, at 30 seconds, and when time is up; never every second. */
export function countdownAnnouncement(expiresAt: string, now: number): string {
  const milliseconds = new Date(expiresAt).getTime() - now;
  if (milliseconds <= 0) return 'The reservation expired.';
  const seconds = Math.ceil(milliseconds / 1000);
  if (seconds <= 30) return 'Less than 30 seconds left to pay.';
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} ${minutes === 1 ? 'minute' : 'minutes'} left to pay.`;
}

/**
 * The time left on the reservation. role="timer" is not a live region, so this changes every second silently;
 * the order panel speaks the coarse changes (countdownAnnouncement) in a polite live region instead.
 */
export function Countdown({ expiresAt, now }: { expiresAt: string; now: number }) {
  const remaining = Math.max(0, new Date(expiresAt).getTime() - now);
  const expired = remaining <= 0;
  return (
    <div className={expired ? 'timer timer-expired' : 'timer'} role="timer" aria-atomic="true">
      {expired ? (
        <span>Reservation expired</span>
      ) : (
        <>
          <span>Time left to pay</span> <span className="timer-value">{formatRemaining(remaining)}</span>
        </>
      )}
    </div>
  );
}

/** The current time, ticking every second; starts from the server's clock so hydration matches the HTML. */
export function useNow(serverNow: number): number {
  const [now, setNow] = useState(serverNow);
  useEffect(() => {
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return now;
}
