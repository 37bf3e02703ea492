CREATE TABLE "agent_package_chunks" (
	"version" text NOT NULL,
	"seq" integer NOT NULL,
	"data" "bytea" NOT NULL,
	CONSTRAINT "agent_package_chunks_version_seq_pk" PRIMARY KEY("version","seq")
);
--> statement-breakpoint
CREATE TABLE "agent_packages" (
	"version" text PRIMARY KEY NOT NULL,
	"sha256" text NOT NULL,
	"size_bytes" bigint NOT NULL,
	"architecture" text NOT NULL,
	"added_by" text NOT NULL,
	"added_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "agent_package_chunks" ADD CONSTRAINT "agent_package_chunks_version_agent_packages_version_fk" FOREIGN KEY ("version") REFERENCES "public"."agent_packages"("version") ON DELETE cascade ON UPDATE no action;