-- Catalogs become one row per view (user, client capabilities). Rows cached before this were fetched
-- with whichever user's credentials and client capabilities came first, so all are dropped: it is a cache.
DELETE FROM "server_catalogs";--> statement-breakpoint
ALTER TABLE "server_catalogs" DROP CONSTRAINT "server_catalogs_pkey";--> statement-breakpoint
ALTER TABLE "server_catalogs" ALTER COLUMN "server_id" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "server_catalogs" ADD COLUMN "user_id" text;--> statement-breakpoint
ALTER TABLE "server_catalogs" ADD COLUMN "client_capabilities" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "server_catalogs" ADD CONSTRAINT "server_catalogs_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "server_catalogs" ADD CONSTRAINT "server_catalogs_view" UNIQUE NULLS NOT DISTINCT("server_id","user_id","client_capabilities");
