import type { VerdictTone } from '@/lib/door/verdict';

/**
 * One shape per tone, so the answer reads without its colour: a circle with a tick (admitted), an octagon with
 * a cross (refused), a triangle with "!" (admitted offline, unconfirmed), a square with "?" (not checked).
 */
export function VerdictIcon({ tone, size = 72 }: { tone: VerdictTone | 'ready'; size?: number }) {
  const common = { width: size, height: size, viewBox: '0 0 48 48', 'aria-hidden': true, focusable: false } as const;
  switch (tone) {
    case 'admit':
      return (
        <svg {...common}>
          <circle cx="24" cy="24" r="22" fill="currentColor" />
          <path
            d="M13 25l7 7 15-16"
            fill="none"
            stroke="#fff"
            strokeWidth="5"
            strokeLinecap="round"
            strokeLinejoin="round"
          />
        </svg>
      );
    case 'refuse':
      return (
        <svg {...common}>
          <polygon points="15,2 33,2 46,15 46,33 33,46 15,46 2,33 2,15" fill="currentColor" />
          <path d="M16 16l16 16M32 16L16 32" stroke="#fff" strokeWidth="5" strokeLinecap="round" />
        </svg>
      );
    case 'pending':
      return (
        <svg {...common}>
          <polygon points="24,3 46,44 2,44" fill="currentColor" strokeLinejoin="round" />
          <path d="M24 17v13" stroke="#fff" strokeWidth="5" strokeLinecap="round" />
          <circle cx="24" cy="37" r="3" fill="#fff" />
        </svg>
      );
    case 'retry':
      return (
        <svg {...common}>
          <rect x="3" y="3" width="42" height="42" rx="6" fill="currentColor" />
          <text
            x="24"
            y="34"
            textAnchor="middle"
            fontSize="28"
            fontWeight="800"
            fill="#fff"
            fontFamily="system-ui, sans-serif"
          >
            ?
          </text>
        </svg>
      );
    case 'ready':
      return (
        <svg {...common}>
          <rect
            x="4"
            y="4"
            width="40"
            height="40"
            rx="6"
            fill="none"
            stroke="currentColor"
            strokeWidth="4"
            strokeDasharray="8 6"
          />
        </svg>
      );
  }
}
