ALTER TABLE "charges" ADD COLUMN "failure_kind" text;--> statement-breakpoint
-- Written by hand: failed charges from before the column get their kind. A decline published
-- charge.created (failed), which the outbox may still hold, and stored the PaymentIntent's id (or
-- 'declined'); a request Stripe rejected stored a request id and published nothing.
UPDATE "charges" SET "failure_kind" = CASE
	WHEN "stripe_id" LIKE 'pi\_%' OR "stripe_id" = 'declined' OR EXISTS (
		SELECT 1 FROM "outbox"
		WHERE "outbox"."subject" = 'charge.created'
			AND "outbox"."data"->>'id' = "charges"."id"::text
			AND "outbox"."data"->>'status' = 'failed'
	) THEN 'declined'
	ELSE 'rejected'
END
WHERE "status" = 'failed';--> statement-breakpoint
CREATE INDEX "charges_awaiting_outcome_idx" ON "charges" USING btree ("created_at") WHERE "charges"."status" = 'created';--> statement-breakpoint
CREATE INDEX "charges_unrefunded_idx" ON "charges" USING btree ("order_id") WHERE "charges"."status" = 'completed' and "charges"."stripe_refund_id" is null;--> statement-breakpoint
ALTER TABLE "charges" ADD CONSTRAINT "charges_failure_kind_check" CHECK ("charges"."failure_kind" in ('declined', 'rejected', 'never_sent'));--> statement-breakpoint
ALTER TABLE "charges" ADD CONSTRAINT "charges_failure_kind_when_failed_check" CHECK (("charges"."status" = 'failed') = ("charges"."failure_kind" is not null));