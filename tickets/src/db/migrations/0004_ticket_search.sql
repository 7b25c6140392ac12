-- Written by hand: drizzle-kit does not know functions, extensions or generated tsvector columns, so the
-- search column and its index are not in schema.ts; db/ticket-search.ts queries them in SQL.
--
-- unaccent() is only STABLE (its dictionary could change), and a generated column needs an IMMUTABLE
-- expression. This wrapper names its dictionary with the schema, and its SQL-standard body binds both at
-- creation, so it does not depend on the search_path of whoever runs it.
CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA public;--> statement-breakpoint
CREATE FUNCTION public.immutable_unaccent(text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  RETURN public.unaccent('public.unaccent'::regdictionary, $1);--> statement-breakpoint
-- The words of the title and the venue, lower-cased and without accents ('simple': no stemming, no stop
-- words, so "the" and names in any language match as typed).
ALTER TABLE "tickets" ADD COLUMN "search" tsvector
  GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, public.immutable_unaccent("title" || ' ' || coalesce("venue", '')))) STORED;--> statement-breakpoint
CREATE INDEX "tickets_for_sale_search_idx" ON "tickets" USING gin ("search") WHERE "order_id" is null;
--> statement-breakpoint
-- ANALYZE keeps no statistics for the expression of a partial index, so without these the planner guesses
-- how many tickets a date range holds (0.5% of any range) and reads a day's events through the newest-first
-- index instead of the date index.
CREATE STATISTICS "tickets_start_key_stats" ON (coalesce("starts_at", 'infinity'::timestamptz)) FROM "tickets";
