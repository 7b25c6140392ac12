import type { Metadata, Viewport } from 'next';
import type { ReactNode } from 'react';
import { SiteHeader } from '@/components/site-header';
import { VisitorProvider } from '@/components/visitor';
import './globals.css';

export const metadata: Metadata = {
  title: { default: 'Ticketing', template: '%s · Ticketing' },
  description: 'Buy and sell event tickets safely: every purchase is reserved for you while you pay.',
};

export const viewport: Viewport = {
  width: 'device-width',
  initialScale: 1,
  themeColor: '#3730a3',
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        {/* Nothing in the layout depends on who is looking: the visitor is filled in by the browser. */}
        <VisitorProvider>
          <a href="#main" className="skip-link">
            Skip to content
          </a>
          <SiteHeader />
          <main id="main" tabIndex={-1}>
            <div className="container">{children}</div>
          </main>
          <footer className="site-footer">
            <div className="container">
              Buying a ticket reserves it for you while you pay. Payments are processed by Stripe.
            </div>
          </footer>
        </VisitorProvider>
      </body>
    </html>
  );
}
