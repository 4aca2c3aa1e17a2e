CREATE TABLE "audit_anchors" (
	"chain_id" text PRIMARY KEY NOT NULL,
	"seq" integer NOT NULL,
	"hash" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "audit_records" (
	"id" text PRIMARY KEY NOT NULL,
	"chain_id" text NOT NULL,
	"seq" integer NOT NULL,
	"prev_hash" text,
	"hash" text NOT NULL,
	"ts" timestamp with time zone NOT NULL,
	"user_id" text,
	"role" text,
	"client_name" text,
	"client_version" text,
	"session_id" text,
	"ip" text,
	"server_id" text,
	"method" text NOT NULL,
	"name" text,
	"arguments" jsonb,
	"decision" text NOT NULL,
	"decision_reason" text,
	"policy_id" text,
	"approval_id" text,
	"outcome" text NOT NULL,
	"error_code" integer,
	"error_message" text,
	"latency_ms" integer NOT NULL,
	"response_bytes" integer NOT NULL,
	CONSTRAINT "audit_records_chain_seq" UNIQUE("chain_id","seq")
);
--> statement-breakpoint
CREATE INDEX "audit_records_ts_idx" ON "audit_records" USING btree ("ts");--> statement-breakpoint
CREATE INDEX "audit_records_user_idx" ON "audit_records" USING btree ("user_id","id");--> statement-breakpoint
CREATE INDEX "audit_records_server_idx" ON "audit_records" USING btree ("server_id","id");--> statement-breakpoint
CREATE INDEX "audit_records_name_idx" ON "audit_records" USING btree ("name","id");