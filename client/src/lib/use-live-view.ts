'use client';

import { useEffect, useRef, useState } from 'react';
import { newerView, reopenDelayMs, withNewerViews, type Versioned } from './live-views';

/** Whether updates are arriving: the page was rendered by the server and is right as of then either way. */
export type LiveStatus = 'connecting' | 'open' | 'closed';

/**
 * Follows a stream of server-sent events (`GET …/stream`, same origin, so the session cookie goes along),
 * calling `onData` with each `eventName` event's JSON. EventSource reconnects by itself after a dropped
 * connection (sending `Last-Event-ID`); when the server refuses the stream instead (503 when full), this opens
 * it again after {@link reopenDelayMs}. Closed when the component goes away or `url` changes.
 */
export function useEventStream(url: string | null, eventName: string, onData: (data: unknown) => void): LiveStatus {
  const [status, setStatus] = useState<LiveStatus>('connecting');
  const handler = useRef(onData);
  useEffect(() => {
    handler.current = onData;
  });

  useEffect(() => {
    if (url === null || typeof EventSource === 'undefined') {
      setStatus('closed');
      return;
    }
    let source: EventSource | undefined;
    let reopen: ReturnType<typeof setTimeout> | undefined;
    let failures = 0;
    const receive = (event: MessageEvent<string>) => {
      try {
        handler.current(JSON.parse(event.data));
      } catch {
        // Not JSON: not an update this page can show.
      }
    };
    const open = () => {
      setStatus('connecting');
      source = new EventSource(url);
      source.addEventListener(eventName, receive);
      source.onopen = () => {
        failures = 0;
        setStatus('open');
      };
      source.onerror = () => {
        if (source?.readyState !== EventSource.CLOSED) {
          setStatus('connecting');
          return;
        }
        source.close();
        setStatus('closed');
        failures += 1;
        reopen = setTimeout(open, reopenDelayMs(failures));
      };
    };
    open();
    return () => {
      clearTimeout(reopen);
      source?.close();
    };
  }, [url, eventName]);

  return status;
}

/**
 * One view kept live: what the server rendered, replaced by each newer version its stream sends (and by a
 * newer server render, after `router.refresh()`).
 */
export function useLiveView<T extends Versioned>(rendered: T, url: string, eventName: string) {
  const [streamed, setStreamed] = useState<T>(rendered);
  const status = useEventStream(url, eventName, (data) => {
    setStreamed((current) => newerView(current, data as T));
  });
  return { view: newerView(rendered, streamed), status };
}

/** Several views of one kind kept live through one stream (a browser opens about six connections per site). */
export function useLiveViews<T extends Versioned>(rendered: readonly T[], url: string | null, eventName: string) {
  const [streamed, setStreamed] = useState<ReadonlyMap<string, T>>(() => new Map());
  const status = useEventStream(url, eventName, (data) => {
    setStreamed((current) => withNewerViews(current, [data as T]));
  });
  const views = rendered.map((view) => {
    const live = streamed.get(view.id);
    return live ? newerView(view, live) : view;
  });
  return { views, status };
}
