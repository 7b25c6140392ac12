-- The venue's IANA time zone (Europe/Paris); null for the tickets listed before it, shown at their offset.
ALTER TABLE "tickets" ADD COLUMN "time_zone" text;