CREATE TABLE "campaign_targets" (
	"campaign_id" uuid NOT NULL,
	"server" text NOT NULL,
	"wave" integer NOT NULL,
	"state" text NOT NULL,
	"active" boolean NOT NULL,
	"switched" boolean DEFAULT false NOT NULL,
	"failed_at" timestamp with time zone,
	"operation_id" text,
	"from_release" text,
	"from_version" text,
	"from_db_version" integer,
	"to_release" text,
	"to_db_version" integer,
	"verifying_since" timestamp with time zone,
	"reason" text,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "campaign_targets_pk" PRIMARY KEY("campaign_id","server"),
	CONSTRAINT "campaign_targets_state_check" CHECK ("campaign_targets"."state" in ('pending', 'staging', 'staged', 'switching', 'verifying', 'succeeded', 'failed', 'rolling-back', 'rolled-back', 'rollback-failed', 'skipped')),
	CONSTRAINT "campaign_targets_wave_check" CHECK ("campaign_targets"."wave" >= 0)
);
--> statement-breakpoint
CREATE TABLE "campaign_waves" (
	"campaign_id" uuid NOT NULL,
	"index" integer NOT NULL,
	"state" text NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	CONSTRAINT "campaign_waves_pk" PRIMARY KEY("campaign_id","index"),
	CONSTRAINT "campaign_waves_state_check" CHECK ("campaign_waves"."state" in ('pending', 'running', 'succeeded', 'failed', 'skipped')),
	CONSTRAINT "campaign_waves_index_check" CHECK ("campaign_waves"."index" >= 0)
);
--> statement-breakpoint
CREATE TABLE "campaigns" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"state" text NOT NULL,
	"release_version" text NOT NULL,
	"plan" jsonb NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone,
	"reason" text,
	"lease_holder" text,
	"lease_token" bigint DEFAULT 0 NOT NULL,
	"lease_expires_at" timestamp with time zone,
	CONSTRAINT "campaigns_state_check" CHECK ("campaigns"."state" in ('running', 'paused', 'awaiting-promotion', 'succeeded', 'failed', 'aborting', 'aborted', 'rolling-back', 'rolled-back')),
	CONSTRAINT "campaigns_finished_check" CHECK (("campaigns"."finished_at" is null) = ("campaigns"."state" in ('running', 'paused', 'awaiting-promotion', 'aborting', 'rolling-back')))
);
--> statement-breakpoint
ALTER TABLE "campaign_targets" ADD CONSTRAINT "campaign_targets_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "campaign_waves" ADD CONSTRAINT "campaign_waves_campaign_id_campaigns_id_fk" FOREIGN KEY ("campaign_id") REFERENCES "public"."campaigns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "campaign_targets_one_active_campaign" ON "campaign_targets" USING btree ("server") WHERE "campaign_targets"."active";--> statement-breakpoint
CREATE INDEX "campaign_targets_wave_idx" ON "campaign_targets" USING btree ("campaign_id","wave");--> statement-breakpoint
CREATE INDEX "campaigns_state_idx" ON "campaigns" USING btree ("state");