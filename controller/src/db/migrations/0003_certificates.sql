CREATE TABLE "certificate_revocations" (
	"serial" text PRIMARY KEY NOT NULL,
	"reason" text NOT NULL,
	"revoked_at" timestamp with time zone NOT NULL,
	"revoked_by" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "issued_certificates" (
	"serial" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"subject" text NOT NULL,
	"server_id" uuid,
	"fingerprint" text NOT NULL,
	"not_before" timestamp with time zone NOT NULL,
	"not_after" timestamp with time zone NOT NULL,
	"recorded_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "servers" ADD COLUMN "previous_cert_fingerprint" text;--> statement-breakpoint
ALTER TABLE "servers" ADD COLUMN "cert_not_after" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "issued_certificates" ADD CONSTRAINT "issued_certificates_server_id_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."servers"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "issued_certificates_subject_idx" ON "issued_certificates" USING btree ("kind","subject");