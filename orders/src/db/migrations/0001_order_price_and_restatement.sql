CREATE TABLE "restatement_cursor" (
	"name" text PRIMARY KEY NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"order_id" uuid NOT NULL
);
--> statement-breakpoint
-- Orders placed before this migration take their ticket's current price and version: the best record
-- there is of what their buyers saw (payments charges what order.created carried, which was the same).
ALTER TABLE "orders" ADD COLUMN "price" integer;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "ticket_version" integer;--> statement-breakpoint
UPDATE "orders" SET "price" = "tickets"."price", "ticket_version" = "tickets"."version" FROM "tickets" WHERE "tickets"."id" = "orders"."ticket_id";--> statement-breakpoint
ALTER TABLE "orders" ALTER COLUMN "price" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "orders" ALTER COLUMN "ticket_version" SET NOT NULL;--> statement-breakpoint
CREATE INDEX "orders_updated_idx" ON "orders" USING btree ("updated_at","id");--> statement-breakpoint
ALTER TABLE "orders" ADD CONSTRAINT "orders_price_check" CHECK ("orders"."price" > 0);