-- The for-sale indexes hold exactly the tickets that may be for sale (no order, not sold, not withdrawn), and
-- the btree ones hold the start key too, so a started ticket is skipped on the index entry (see schema.ts).
DROP INDEX "tickets_for_sale_idx";--> statement-breakpoint
DROP INDEX "tickets_for_sale_price_idx";--> statement-breakpoint
DROP INDEX "tickets_for_sale_date_idx";--> statement-breakpoint
CREATE INDEX "tickets_for_sale_idx" ON "tickets" USING btree ("created_at" DESC NULLS FIRST,"id" DESC NULLS FIRST,coalesce("starts_at", 'infinity'::timestamptz)) WHERE "tickets"."order_id" is null and "tickets"."sold_at" is null and "tickets"."withdrawn_at" is null;--> statement-breakpoint
CREATE INDEX "tickets_for_sale_price_idx" ON "tickets" USING btree ("price","id",coalesce("starts_at", 'infinity'::timestamptz)) WHERE "tickets"."order_id" is null and "tickets"."sold_at" is null and "tickets"."withdrawn_at" is null;--> statement-breakpoint
CREATE INDEX "tickets_for_sale_date_idx" ON "tickets" USING btree (coalesce("starts_at", 'infinity'::timestamptz),"id") WHERE "tickets"."order_id" is null and "tickets"."sold_at" is null and "tickets"."withdrawn_at" is null;--> statement-breakpoint
-- Written by hand (drizzle-kit does not know the search column of 0004): the words' GIN index gets the same
-- predicate as the others. A GIN index cannot hold the start, so a word's started listings are still fetched
-- and filtered; withdrawn and sold ones no longer are.
DROP INDEX "tickets_for_sale_search_idx";--> statement-breakpoint
CREATE INDEX "tickets_for_sale_search_idx" ON "tickets" USING gin ("search") WHERE "order_id" is null and "sold_at" is null and "withdrawn_at" is null;
