CREATE TABLE "approval_requests" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" text,
	"session_id" text,
	"server_id" text NOT NULL,
	"tool" text NOT NULL,
	"client_name" text,
	"arguments" jsonb,
	"arguments_hash" text NOT NULL,
	"input_schema" jsonb,
	"reason" text NOT NULL,
	"policy_id" text,
	"policy_version" integer,
	"rule_id" text,
	"approvers" jsonb NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"ttl_seconds" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"decided_by" text,
	"decided_at" timestamp with time zone,
	"decision_channel" text,
	"decision_reason" text,
	"edited_arguments" jsonb,
	"edited_arguments_hash" text,
	"result" jsonb,
	"result_outcome" text,
	"executed_at" timestamp with time zone,
	CONSTRAINT "approval_requests_status_check" CHECK ("approval_requests"."status" in ('pending','approved','rejected','expired','executing','executed','failed'))
);
--> statement-breakpoint
ALTER TABLE "approval_requests" ADD CONSTRAINT "approval_requests_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "approval_requests_repeat_idx" ON "approval_requests" USING btree ("user_id","server_id","tool","arguments_hash","created_at");--> statement-breakpoint
CREATE INDEX "approval_requests_status_idx" ON "approval_requests" USING btree ("status","created_at");