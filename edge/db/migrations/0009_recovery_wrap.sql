CREATE TABLE `recovery_wraps` (
	`account_id` text NOT NULL,
	`credential_id` text NOT NULL,
	`wrapped` blob NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`account_id`, `credential_id`),
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`credential_id`) REFERENCES `passkeys`(`id`) ON UPDATE no action ON DELETE cascade
);
