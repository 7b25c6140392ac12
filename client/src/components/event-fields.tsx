'use client';

import { useEffect, useRef } from 'react';
import { Field } from '@/components/field';
import { UTC_OFFSETS, offsetLabel, offsetText } from '@/lib/event-start';

interface EventFieldsProps {
  /** Prefixes the inputs' ids, so two forms on one page keep them unique. */
  idPrefix?: string;
  /** What the inputs hold: the listing's (`eventInputValues`), or what was typed before a refusal. */
  values?: { venue?: string; startsAtLocal?: string; startsAtOffset?: string };
  /** The envelope's messages for `venue` and `startsAt`. */
  errors?: { venue?: string; startsAt?: string };
}

/**
 * The venue and the start of a ticket form: plain named inputs (`venue`, `startsAtLocal`, `startsAtOffset`) that
 * `eventFieldsOf` turns into the API's `venue` and `startsAt`, however the form is sent. Both are optional.
 */
export function EventFields({ idPrefix = '', values = {}, errors = {} }: EventFieldsProps) {
  const offset = useRef<HTMLSelectElement>(null);
  const chosenOffset = values.startsAtOffset || undefined;

  useEffect(() => {
    // A new start is on the seller's own clock unless they chose another; the server, which rendered the form,
    // cannot know it, and without JavaScript the choice starts at UTC.
    const own = offsetText(-new Date().getTimezoneOffset());
    if (!chosenOffset && offset.current && UTC_OFFSETS.some((known) => known === own)) offset.current.value = own;
  }, [chosenOffset]);

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
        <label htmlFor={`${idPrefix}starts-at-offset`}>Time zone of the venue</label>
        <select
          ref={offset}
          id={`${idPrefix}starts-at-offset`}
          name="startsAtOffset"
          className="input"
          defaultValue={chosenOffset ?? '+00:00'}
        >
          {UTC_OFFSETS.map((choice) => (
            <option key={choice} value={choice}>
              {offsetLabel(choice)}
            </option>
          ))}
        </select>
      </div>
    </>
  );
}
