CREATE TABLE "vault_records" (
	"id" text PRIMARY KEY NOT NULL,
	"server_id" text NOT NULL,
	"user_id" text,
	"name" text NOT NULL,
	"ciphertext" text NOT NULL,
	"key_id" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "vault_records_place" UNIQUE NULLS NOT DISTINCT("server_id","user_id","name")
);
--> statement-breakpoint
ALTER TABLE "servers" ALTER COLUMN "url" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "servers" ALTER COLUMN "headers" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "servers" ALTER COLUMN "headers" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "servers" ADD COLUMN "config" text;--> statement-breakpoint
ALTER TABLE "servers" ADD COLUMN "config_key_id" text;--> statement-breakpoint
ALTER TABLE "servers" ADD COLUMN "user_inputs" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "vault_records" ADD CONSTRAINT "vault_records_server_id_servers_server_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."servers"("server_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vault_records" ADD CONSTRAINT "vault_records_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "vault_records_key_id_idx" ON "vault_records" USING btree ("key_id");--> statement-breakpoint
ALTER TABLE "servers" ADD CONSTRAINT "servers_config_check" CHECK ("servers"."config" is not null or "servers"."url" is not null);