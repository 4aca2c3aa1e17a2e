CREATE TABLE "policy_set_versions" (
	"policy_set_id" text NOT NULL,
	"version" integer NOT NULL,
	"name" text NOT NULL,
	"server_id" text,
	"time_zone" text NOT NULL,
	"rules" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "policy_set_versions_version" UNIQUE("policy_set_id","version")
);
--> statement-breakpoint
ALTER TABLE "audit_records" ADD COLUMN "policy_version" integer;--> statement-breakpoint
ALTER TABLE "audit_records" ADD COLUMN "rule_id" text;--> statement-breakpoint
CREATE INDEX "audit_records_rule_idx" ON "audit_records" USING btree ("rule_id","id");--> statement-breakpoint
-- Sets that exist already keep their current version; earlier ones were never stored.
INSERT INTO "policy_set_versions" ("policy_set_id", "version", "name", "server_id", "time_zone", "rules", "created_at")
SELECT "id", "version", "name", "server_id", "time_zone", "rules", "updated_at" FROM "policy_sets"
ON CONFLICT DO NOTHING;
