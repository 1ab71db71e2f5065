CREATE TABLE `backup_chunks` (
	`backup_id` text NOT NULL,
	`seq` integer NOT NULL,
	`idx` integer NOT NULL,
	`data` blob NOT NULL,
	PRIMARY KEY(`backup_id`, `seq`, `idx`),
	FOREIGN KEY (`backup_id`,`seq`) REFERENCES `backup_snapshots`(`backup_id`,`seq`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `backup_snapshots` (
	`backup_id` text NOT NULL,
	`seq` integer NOT NULL,
	`complete` integer DEFAULT false NOT NULL,
	`size` integer DEFAULT 0 NOT NULL,
	`chunks` integer DEFAULT 0 NOT NULL,
	`started_at` integer NOT NULL,
	`stored_at` integer,
	PRIMARY KEY(`backup_id`, `seq`),
	FOREIGN KEY (`backup_id`) REFERENCES `backups`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `backups` (
	`id` text PRIMARY KEY NOT NULL,
	`auth_key` blob NOT NULL,
	`created_at` integer NOT NULL
);
