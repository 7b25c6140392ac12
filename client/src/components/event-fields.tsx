'use client';

import { useEffect, useState } from 'react';
import { Field } from '@/components/field';
import { TIME_ZONES } from '@/lib/time-zones';

interface EventFieldsProps {
  /** Prefixes the inputs' ids, so two forms on one page keep them unique. */
  idPrefix?: string;
  /** What the inputs hold: the listing's (`eventInputValues`), or what was typed before a refusal. */
  values?: { venue?: string; startsAtLocal?: string; timeZone?: string };
  /** The envelope's messages for `venue`, `startsAt` and `timeZone`. */
  errors?: { venue?: string; startsAt?: string; timeZone?: string };
}

/**
 * The venue, the start and the venue's time zone of a ticket form: plain named inputs (`venue`, `startsAtLocal`,
 * `timeZone`) that `eventFieldsOf` turns into the API's `venue`, `startsAt` and `timeZone`, however the form is
 * sent. The start is typed on the venue's clock and converted with the zone chosen here.
 */
export function EventFields({ idPrefix = '', values = {}, errors = {} }: EventFieldsProps) {
  const chosen = values.timeZone || undefined;
  // The server renders UTC (it cannot know the seller's zone; without JavaScript UTC stays the default, in
  // plain sight); once hydrated, a new listing defaults to the zone of the seller's browser.
  const [zone, setZone] = useState(chosen ?? 'UTC');
  useEffect(() => {
    if (chosen) return;
    const own = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (own) setZone(own);
  }, [chosen]);
  // A zone the list lacks (a browser's, or one the API spells otherwise) is offered first, so it can be chosen.
  const zones = TIME_ZONES.includes(zone) ? TIME_ZONES : [zone, ...TIME_ZONES];
  const errorId = `${idPrefix}time-zone-error`;

  return (
    <>
      <Field
        id={`${idPrefix}venue`}
        name="venue"
        label="Venue"
        type="text"
        maxLength={120}
        autoComplete="off"
        defaultValue={values.venue}
        hint='Optional. Where the event takes place, e.g. "Olympia, Paris".'
        error={errors.venue}
      />
      <Field
        id={`${idPrefix}starts-at`}
        name="startsAtLocal"
        label="Starts at"
        type="datetime-local"
        defaultValue={values.startsAtLocal}
        hint="Optional. The date and time on the ticket, on the venue’s clock. Buyers can no longer buy it from then on."
        error={errors.startsAt}
      />
      <div className="field">
        <label htmlFor={`${idPrefix}time-zone`}>Time zone of the venue</label>
        <select
          id={`${idPrefix}time-zone`}
          name="timeZone"
          className="input"
          value={zone}
          onChange={(event) => setZone(event.target.value)}
          aria-invalid={errors.timeZone ? true : undefined}
          aria-describedby={errors.timeZone ? errorId : undefined}
        >
          {zones.map((choice) => (
            <option key={choice} value={choice}>
              {choice.replaceAll('_', ' ')}
            </option>
          ))}
        </select>
        {errors.timeZone && (
          <p id={errorId} className="field-error" role="alert">
            {errors.timeZone}
          </p>
        )}
      </div>
    </>
  );
}
