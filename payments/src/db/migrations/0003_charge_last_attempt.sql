DROP INDEX "charges_awaiting_outcome_idx";--> statement-breakpoint
ALTER TABLE "charges" ADD COLUMN "last_attempt_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
-- Written by hand: a charge from before the column was last sent to Stripe no later than its last change
-- (every attempt, resumed or released, touched updated_at), so the settlement backstop ages it from there.
UPDATE "charges" SET "last_attempt_at" = "updated_at";--> statement-breakpoint
CREATE INDEX "charges_awaiting_outcome_idx" ON "charges" USING btree ("last_attempt_at") WHERE "charges"."status" = 'created';
