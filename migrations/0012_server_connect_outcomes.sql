ALTER TABLE "servers" ADD COLUMN "last_connect_error" text;--> statement-breakpoint
ALTER TABLE "servers" ADD COLUMN "last_connect_error_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "servers" ADD COLUMN "next_connect_try_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "servers" ADD COLUMN "last_connected_at" timestamp with time zone;