CREATE TABLE "waiting_list_places" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "waiting_list_places_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"ticket_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"price" integer NOT NULL,
	"joined_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "waiting_list_places_ticket_user_key" UNIQUE("ticket_id","user_id")
);
--> statement-breakpoint
ALTER TABLE "waiting_list_places" ADD CONSTRAINT "waiting_list_places_ticket_id_tickets_id_fk" FOREIGN KEY ("ticket_id") REFERENCES "public"."tickets"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "waiting_list_places_ticket_idx" ON "waiting_list_places" USING btree ("ticket_id","id");--> statement-breakpoint
CREATE INDEX "waiting_list_places_user_idx" ON "waiting_list_places" USING btree ("user_id");