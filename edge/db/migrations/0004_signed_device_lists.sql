CREATE TABLE `device_lists` (
	`account_id` text NOT NULL,
	`version` integer NOT NULL,
	`list` blob NOT NULL,
	`hash` blob NOT NULL,
	`device_ids` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`account_id`, `version`),
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE cascade
);
