CREATE TABLE "server_catalogs" (
	"server_id" text PRIMARY KEY NOT NULL,
	"catalog" jsonb NOT NULL,
	"fetched_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "server_catalogs" ADD CONSTRAINT "server_catalogs_server_id_servers_server_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."servers"("server_id") ON DELETE cascade ON UPDATE no action;