ALTER TABLE "tickets" ADD COLUMN "buyer_id" uuid;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "price_paid" integer;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "resale_of" uuid;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "withdrawn_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "tickets_buyer_idx" ON "tickets" USING btree ("buyer_id","sold_at" DESC NULLS FIRST) WHERE "tickets"."buyer_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "tickets_one_resale_idx" ON "tickets" USING btree ("resale_of") WHERE "tickets"."resale_of" is not null and "tickets"."withdrawn_at" is null;