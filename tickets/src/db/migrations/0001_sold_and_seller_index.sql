ALTER TABLE "tickets" ADD COLUMN "sold_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "tickets_seller_idx" ON "tickets" USING btree ("user_id","created_at" DESC NULLS FIRST);