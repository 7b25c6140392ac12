'use client';

import { useEffect, useRef, useState } from 'react';

/** The parts of the Barcode Detection API used here (not yet in TypeScript's DOM library). */
interface BarcodeDetectorLike {
  detect(source: HTMLVideoElement): Promise<{ rawValue: string }[]>;
}
interface BarcodeDetectorClass {
  new (options: { formats: string[] }): BarcodeDetectorLike;
  getSupportedFormats(): Promise<string[]>;
}

/** A code held in front of the camera is read once: again only after it was out of sight this long. */
const SAME_CODE_AGAIN_AFTER_MS = 4_000;
const DETECT_EVERY_MS = 150;

async function nativeQrDetector(): Promise<BarcodeDetectorLike | undefined> {
  const Detector = (globalThis as { BarcodeDetector?: BarcodeDetectorClass }).BarcodeDetector;
  if (!Detector) return undefined;
  try {
    const formats = await Detector.getSupportedFormats();
    return formats.includes('qr_code') ? new Detector({ formats: ['qr_code'] }) : undefined;
  } catch {
    return undefined;
  }
}

function cameraErrorMessage(error: unknown): string {
  const name = error instanceof DOMException ? error.name : '';
  if (name === 'NotAllowedError')
    return 'The camera was refused. Allow it in the browser’s site settings, or type the code.';
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return 'No camera was found. Type the code instead.';
  if (name === 'NotReadableError') return 'The camera is in use by another app. Close it, or type the code.';
  return 'The camera could not start. Type the code instead.';
}

/**
 * Reads QR codes from the camera: the browser's own BarcodeDetector where it has one for QR codes, else
 * @zxing/browser, loaded only when the camera starts (so the page stays light for a door that types codes).
 * `onCode` answers whether it took the code (false while the previous scan is still being checked: the code is
 * then read again on the next frame).
 */
export function CameraScanner({ onCode }: { onCode: (text: string) => Promise<boolean> }) {
  const videoRef = useRef<HTMLVideoElement>(null);
  const stopRef = useRef<(() => void) | null>(null);
  // Each start is an attempt; Stop (or leaving the page) while the camera is still starting ends the attempt,
  // and the start then releases what it got instead of showing it.
  const attemptRef = useRef(0);
  const onCodeRef = useRef(onCode);
  const lastRef = useRef<{ text: string; seenAt: number } | null>(null);
  const [state, setState] = useState<'off' | 'starting' | 'on'>('off');
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    onCodeRef.current = onCode;
  });

  useEffect(
    () => () => {
      attemptRef.current += 1;
      stopRef.current?.();
    },
    [],
  );

  const seen = (text: string) => {
    const now = Date.now();
    const last = lastRef.current;
    if (last && last.text === text && now - last.seenAt < SAME_CODE_AGAIN_AFTER_MS) {
      last.seenAt = now;
      return;
    }
    void onCodeRef.current(text).then((taken) => {
      if (taken) lastRef.current = { text, seenAt: Date.now() };
    });
  };

  const stop = () => {
    attemptRef.current += 1;
    stopRef.current?.();
    stopRef.current = null;
    setState('off');
  };

  const start = async () => {
    setProblem(null);
    const video = videoRef.current;
    if (!video) return;
    if (!navigator.mediaDevices?.getUserMedia) {
      setProblem('This browser offers no camera here (it needs a secure https page). Type the code instead.');
      return;
    }
    setState('starting');
    const attempt = ++attemptRef.current;
    const abandoned = () => attempt !== attemptRef.current;
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: { ideal: 'environment' } },
        audio: false,
      });
    } catch (error) {
      if (!abandoned()) {
        setProblem(cameraErrorMessage(error));
        setState('off');
      }
      return;
    }
    const releaseCamera = () => stream.getTracks().forEach((track) => track.stop());
    if (abandoned()) {
      releaseCamera();
      return;
    }
    try {
      const detector = await nativeQrDetector();
      if (detector) {
        video.srcObject = stream;
        await video.play();
        let stopped = false;
        let timer: ReturnType<typeof setTimeout> | undefined;
        const detect = async () => {
          if (stopped) return;
          if (video.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA) {
            const found = await detector.detect(video).catch(() => []);
            const text = found[0]?.rawValue;
            if (text && !stopped) seen(text);
          }
          if (!stopped) timer = setTimeout(() => void detect(), DETECT_EVERY_MS);
        };
        void detect();
        stopRef.current = () => {
          stopped = true;
          clearTimeout(timer);
          releaseCamera();
          video.srcObject = null;
        };
      } else {
        const { BrowserQRCodeReader } = await import('@zxing/browser');
        const reader = new BrowserQRCodeReader(undefined, { delayBetweenScanAttempts: DETECT_EVERY_MS });
        const controls = await reader.decodeFromStream(stream, video, (result) => {
          if (result) seen(result.getText());
        });
        stopRef.current = () => {
          controls.stop();
          releaseCamera();
        };
      }
      if (abandoned()) {
        stopRef.current?.();
        stopRef.current = null;
        return;
      }
      setState('on');
    } catch {
      releaseCamera();
      setProblem('The camera started but its picture cannot be read here. Type the code instead.');
      setState('off');
    }
  };

  return (
    <section className="panel door-camera" aria-labelledby="camera-heading">
      <h2 id="camera-heading">Camera</h2>
      <div className="door-video-frame" hidden={state === 'off'}>
        <video ref={videoRef} muted playsInline aria-label="Camera view: hold the pass’s QR code in the frame" />
      </div>
      <div className="button-row">
        {state === 'off' ? (
          <button type="button" className="button button-secondary" onClick={() => void start()}>
            Start camera
          </button>
        ) : (
          <button type="button" className="button button-secondary" onClick={stop}>
            {state === 'starting' ? 'Starting camera… (stop)' : 'Stop camera'}
          </button>
        )}
      </div>
      {problem && (
        <p className="field-error" role="alert">
          {problem}
        </p>
      )}
    </section>
  );
}
