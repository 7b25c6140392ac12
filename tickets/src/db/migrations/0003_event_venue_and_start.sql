ALTER TABLE "tickets" ADD COLUMN "venue" text;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "starts_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "starts_at_offset" smallint;--> statement-breakpoint
CREATE INDEX "tickets_for_sale_price_idx" ON "tickets" USING btree ("price","id") WHERE "tickets"."order_id" is null;--> statement-breakpoint
CREATE INDEX "tickets_for_sale_date_idx" ON "tickets" USING btree (coalesce("starts_at", 'infinity'::timestamptz),"id") WHERE "tickets"."order_id" is null;--> statement-breakpoint
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_starts_at_offset_check" CHECK (("tickets"."starts_at" is null) = ("tickets"."starts_at_offset" is null));