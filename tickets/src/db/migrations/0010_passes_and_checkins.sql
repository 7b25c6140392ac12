CREATE TABLE "checkin_scans" (
	"issuer_id" uuid NOT NULL,
	"nonce" text NOT NULL,
	"ticket_id" uuid NOT NULL,
	"status" smallint NOT NULL,
	"body" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "checkin_scans_issuer_id_nonce_pk" PRIMARY KEY("issuer_id","nonce")
);
--> statement-breakpoint
CREATE TABLE "checkins" (
	"ticket_id" uuid PRIMARY KEY NOT NULL,
	"issuer_id" uuid NOT NULL,
	"generation" integer NOT NULL,
	"holder_id" uuid NOT NULL,
	"nonce" text NOT NULL,
	"admitted_at" timestamp with time zone DEFAULT now() NOT NULL,
	"scanned_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "pass_codes" (
	"ticket_id" uuid NOT NULL,
	"generation" integer NOT NULL,
	"issuer_id" uuid NOT NULL,
	"holder_id" uuid NOT NULL,
	"held_ticket_id" uuid NOT NULL,
	"issued_at" timestamp with time zone DEFAULT now() NOT NULL,
	"voided_at" timestamp with time zone,
	"void_reason" text,
	CONSTRAINT "pass_codes_ticket_id_generation_pk" PRIMARY KEY("ticket_id","generation"),
	CONSTRAINT "pass_codes_void_check" CHECK (("pass_codes"."voided_at" is null) = ("pass_codes"."void_reason" is null))
);
--> statement-breakpoint
CREATE TABLE "passes" (
	"ticket_id" uuid PRIMARY KEY NOT NULL,
	"issuer_id" uuid NOT NULL,
	"held_ticket_id" uuid NOT NULL,
	"holder_id" uuid NOT NULL,
	"generation" integer NOT NULL,
	"issued_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "passes_generation_check" CHECK ("passes"."generation" >= 1)
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" uuid PRIMARY KEY NOT NULL,
	"email" text NOT NULL,
	"version" integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX "checkins_issuer_idx" ON "checkins" USING btree ("issuer_id","admitted_at");--> statement-breakpoint
CREATE INDEX "pass_codes_revoked_idx" ON "pass_codes" USING btree ("issuer_id","voided_at") WHERE "pass_codes"."voided_at" is not null;--> statement-breakpoint
CREATE INDEX "passes_holder_idx" ON "passes" USING btree ("holder_id","issued_at" DESC NULLS FIRST);--> statement-breakpoint
CREATE UNIQUE INDEX "passes_held_ticket_idx" ON "passes" USING btree ("held_ticket_id");--> statement-breakpoint
CREATE INDEX "users_email_idx" ON "users" USING btree ("email");--> statement-breakpoint
-- Every ticket already sold gets its pass: held by the buyer of the latest paid sale of the ticket as its
-- issuer listed it (the ticket itself, or a resale of it, or a resale of that).
WITH RECURSIVE "chain" AS (
	SELECT "id" AS "root_id", "id", "user_id" AS "issuer_id", 0 AS "depth" FROM "tickets" WHERE "resale_of" IS NULL
	UNION ALL
	SELECT "chain"."root_id", "tickets"."id", "chain"."issuer_id", "chain"."depth" + 1
	FROM "tickets" JOIN "chain" ON "tickets"."resale_of" = "chain"."id"
), "held" AS (
	SELECT DISTINCT ON ("chain"."root_id") "chain"."root_id", "chain"."issuer_id", "tickets"."id", "tickets"."buyer_id", "tickets"."sold_at"
	FROM "chain" JOIN "tickets" ON "tickets"."id" = "chain"."id"
	WHERE "tickets"."sold_at" IS NOT NULL AND "tickets"."buyer_id" IS NOT NULL
	ORDER BY "chain"."root_id", "chain"."depth" DESC
)
INSERT INTO "passes" ("ticket_id", "issuer_id", "held_ticket_id", "holder_id", "generation", "issued_at")
SELECT "root_id", "issuer_id", "id", "buyer_id", 1, "sold_at" FROM "held";
--> statement-breakpoint
INSERT INTO "pass_codes" ("ticket_id", "generation", "issuer_id", "holder_id", "held_ticket_id", "issued_at")
SELECT "ticket_id", "generation", "issuer_id", "holder_id", "held_ticket_id", "issued_at" FROM "passes";
