CREATE TABLE `one_time_kem_prekeys` (
	`account_id` text NOT NULL,
	`device_id` integer NOT NULL,
	`key_id` integer NOT NULL,
	`public_key` blob NOT NULL,
	`signature` blob NOT NULL,
	PRIMARY KEY(`account_id`, `device_id`, `key_id`)
);
