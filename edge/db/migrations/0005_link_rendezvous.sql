CREATE TABLE `link_messages` (
	`rendezvous_id` text NOT NULL,
	`side` text NOT NULL,
	`seq` integer NOT NULL,
	`body` blob NOT NULL,
	PRIMARY KEY(`rendezvous_id`, `side`, `seq`),
	FOREIGN KEY (`rendezvous_id`) REFERENCES `link_rendezvous`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `link_rendezvous` (
	`id` text PRIMARY KEY NOT NULL,
	`locator` text NOT NULL,
	`strikes` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `link_rendezvous_locator` ON `link_rendezvous` (`locator`);--> statement-breakpoint
CREATE INDEX `link_rendezvous_expiry` ON `link_rendezvous` (`expires_at`);