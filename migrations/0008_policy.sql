CREATE TABLE "ip_allowlists" (
	"user_id" text,
	"mode" text DEFAULT 'allow-all' NOT NULL,
	"cidrs" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ip_allowlists_scope" UNIQUE NULLS NOT DISTINCT("user_id"),
	CONSTRAINT "ip_allowlists_mode_check" CHECK ("ip_allowlists"."mode" in ('allow-all', 'allow-list'))
);
--> statement-breakpoint
CREATE TABLE "permission_grants" (
	"user_id" text,
	"role" text,
	"server_id" text NOT NULL,
	"enabled" boolean NOT NULL,
	"tools" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "permission_grants_subject" UNIQUE NULLS NOT DISTINCT("user_id","role","server_id"),
	CONSTRAINT "permission_grants_subject_check" CHECK (("permission_grants"."user_id" is null) <> ("permission_grants"."role" is null))
);
--> statement-breakpoint
CREATE TABLE "policy_sets" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"server_id" text,
	"version" integer DEFAULT 1 NOT NULL,
	"time_zone" text DEFAULT 'UTC' NOT NULL,
	"rules" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "server_capabilities" (
	"server_id" text NOT NULL,
	"kind" text NOT NULL,
	"name" text NOT NULL,
	"enabled" boolean,
	"danger_level" integer,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "server_capabilities_item" UNIQUE("server_id","kind","name"),
	CONSTRAINT "server_capabilities_kind_check" CHECK ("server_capabilities"."kind" in ('tool', 'prompt', 'resource')),
	CONSTRAINT "server_capabilities_danger_check" CHECK ("server_capabilities"."danger_level" is null or "server_capabilities"."danger_level" between 0 and 2)
);
--> statement-breakpoint
CREATE TABLE "user_narrowings" (
	"user_id" text NOT NULL,
	"client_name" text DEFAULT '' NOT NULL,
	"servers" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "user_narrowings_client" UNIQUE("user_id","client_name")
);
--> statement-breakpoint
ALTER TABLE "servers" ADD COLUMN "public_access" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "rate_limit_per_minute" integer;--> statement-breakpoint
ALTER TABLE "ip_allowlists" ADD CONSTRAINT "ip_allowlists_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "permission_grants" ADD CONSTRAINT "permission_grants_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "permission_grants" ADD CONSTRAINT "permission_grants_server_id_servers_server_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."servers"("server_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "policy_sets" ADD CONSTRAINT "policy_sets_server_id_servers_server_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."servers"("server_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "server_capabilities" ADD CONSTRAINT "server_capabilities_server_id_servers_server_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."servers"("server_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "user_narrowings" ADD CONSTRAINT "user_narrowings_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "policy_sets_server_idx" ON "policy_sets" USING btree ("server_id");--> statement-breakpoint
CREATE INDEX "audit_records_policy_idx" ON "audit_records" USING btree ("policy_id","id");