ALTER TABLE "orders" DROP CONSTRAINT "orders_status_check";--> statement-breakpoint
-- No order was ever given awaiting:payment; were one there, it would be what the status meant: unpaid.
UPDATE "orders" SET "status" = 'created' WHERE "status" = 'awaiting:payment';--> statement-breakpoint
DROP INDEX "orders_unpaid_expires_idx";--> statement-breakpoint
CREATE INDEX "orders_unpaid_expires_idx" ON "orders" USING btree ("expires_at") WHERE "orders"."status" = 'created';--> statement-breakpoint
ALTER TABLE "orders" DROP COLUMN "ticket_version";--> statement-breakpoint
ALTER TABLE "orders" ADD CONSTRAINT "orders_status_check" CHECK (status in ('created', 'cancelled', 'complete'));