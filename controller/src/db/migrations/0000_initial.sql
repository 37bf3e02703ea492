CREATE TABLE "servers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"address" text NOT NULL,
	"labels" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"canary" boolean DEFAULT false NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"last_seen_at" timestamp with time zone,
	"agent_version" text,
	"current_release" text,
	"current_version" text,
	"canary_release" text,
	"site_count" integer,
	"health" text,
	"disk_free_bytes" bigint,
	"enrolled_at" timestamp with time zone,
	"cert_fingerprint" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "servers_name_unique" UNIQUE("name"),
	CONSTRAINT "servers_status_check" CHECK ("servers"."status" in ('pending', 'online', 'offline', 'degraded')),
	CONSTRAINT "servers_health_check" CHECK ("servers"."health" in ('ok', 'degraded', 'unhealthy'))
);
--> statement-breakpoint
CREATE TABLE "sites" (
	"server_id" uuid NOT NULL,
	"domain" text NOT NULL,
	"php" text,
	"cache" text,
	"ssl" boolean DEFAULT false NOT NULL,
	"release" text,
	"version" text,
	"health" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sites_pkey" PRIMARY KEY("server_id","domain"),
	CONSTRAINT "sites_health_check" CHECK ("sites"."health" in ('ok', 'degraded', 'unhealthy'))
);
--> statement-breakpoint
CREATE TABLE "releases" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"version" text NOT NULL,
	"url" text,
	"digest_algorithm" text NOT NULL,
	"digest_hex" text NOT NULL,
	"size_bytes" bigint,
	"db_version" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "releases_version_unique" UNIQUE("version"),
	CONSTRAINT "releases_digest_algorithm_check" CHECK ("releases"."digest_algorithm" in ('sha1', 'sha256'))
);
--> statement-breakpoint
CREATE TABLE "operations" (
	"id" text PRIMARY KEY NOT NULL,
	"server_id" uuid,
	"kind" text NOT NULL,
	"requested_by" text NOT NULL,
	"request" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"state" text DEFAULT 'pending' NOT NULL,
	"error" text,
	"result" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	CONSTRAINT "operations_state_check" CHECK ("operations"."state" in ('pending', 'running', 'succeeded', 'failed', 'interrupted'))
);
--> statement-breakpoint
CREATE TABLE "audit_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"actor" text NOT NULL,
	"server_id" uuid,
	"kind" text NOT NULL,
	"subject" text NOT NULL,
	"data" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"source_event_id" text,
	CONSTRAINT "audit_events_source_event_id_unique" UNIQUE("source_event_id")
);
--> statement-breakpoint
CREATE TABLE "enrollment_tokens" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"server_id" uuid NOT NULL,
	"token_hash" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	CONSTRAINT "enrollment_tokens_token_hash_unique" UNIQUE("token_hash")
);
--> statement-breakpoint
ALTER TABLE "sites" ADD CONSTRAINT "sites_server_id_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."servers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "operations" ADD CONSTRAINT "operations_server_id_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."servers"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "audit_events" ADD CONSTRAINT "audit_events_server_id_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."servers"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "enrollment_tokens" ADD CONSTRAINT "enrollment_tokens_server_id_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."servers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "sites_version_idx" ON "sites" USING btree ("version");--> statement-breakpoint
CREATE INDEX "operations_server_idx" ON "operations" USING btree ("server_id","created_at");--> statement-breakpoint
CREATE INDEX "audit_events_server_idx" ON "audit_events" USING btree ("server_id","id");--> statement-breakpoint
CREATE INDEX "enrollment_tokens_server_idx" ON "enrollment_tokens" USING btree ("server_id");