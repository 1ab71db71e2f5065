CREATE TABLE `accounts` (
	`id` text PRIMARY KEY NOT NULL,
	`handle` text NOT NULL,
	`webauthn_user_id` text NOT NULL,
	`identity_dh` blob,
	`identity_sig` blob,
	`identity_binding` blob,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `accounts_handle_unique` ON `accounts` (`handle`);--> statement-breakpoint
CREATE TABLE `attachment_chunks` (
	`attachment_id` text NOT NULL,
	`idx` integer NOT NULL,
	`data` blob NOT NULL,
	PRIMARY KEY(`attachment_id`, `idx`),
	FOREIGN KEY (`attachment_id`) REFERENCES `attachments`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `attachments` (
	`id` text PRIMARY KEY NOT NULL,
	`owner_account` text NOT NULL,
	`owner_device` integer NOT NULL,
	`size` integer NOT NULL,
	`digest` blob NOT NULL,
	`complete` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `attachments_expiry` ON `attachments` (`expires_at`);--> statement-breakpoint
CREATE TABLE `blocks` (
	`account_id` text NOT NULL,
	`blocked` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`account_id`, `blocked`)
);
--> statement-breakpoint
CREATE TABLE `challenges` (
	`challenge` text PRIMARY KEY NOT NULL,
	`purpose` text NOT NULL,
	`handle` text,
	`webauthn_user_id` text,
	`account_id` text,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `challenges_expiry` ON `challenges` (`expires_at`);--> statement-breakpoint
CREATE TABLE `devices` (
	`account_id` text NOT NULL,
	`device_id` integer NOT NULL,
	`device_key` blob NOT NULL,
	`certificate` blob NOT NULL,
	`certificate_created_at` integer NOT NULL,
	`signed_prekey_id` integer NOT NULL,
	`signed_prekey` blob NOT NULL,
	`signed_prekey_sig` blob NOT NULL,
	`kem_prekey_id` integer NOT NULL,
	`kem_prekey` blob NOT NULL,
	`kem_prekey_sig` blob NOT NULL,
	`name` text,
	`created_at` integer NOT NULL,
	`last_seen_at` integer,
	PRIMARY KEY(`account_id`, `device_id`),
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `devices_key` ON `devices` (`device_key`);--> statement-breakpoint
CREATE TABLE `one_time_prekeys` (
	`account_id` text NOT NULL,
	`device_id` integer NOT NULL,
	`key_id` integer NOT NULL,
	`public_key` blob NOT NULL,
	PRIMARY KEY(`account_id`, `device_id`, `key_id`)
);
--> statement-breakpoint
CREATE TABLE `passkeys` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`public_key` blob NOT NULL,
	`counter` integer NOT NULL,
	`transports` text DEFAULT '[]' NOT NULL,
	`backed_up` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	`last_used_at` integer,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `passkeys_account` ON `passkeys` (`account_id`);--> statement-breakpoint
CREATE TABLE `queue` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`recipient_account` text NOT NULL,
	`recipient_device` integer NOT NULL,
	`sender_account` text NOT NULL,
	`sender_device` integer NOT NULL,
	`client_message_id` blob NOT NULL,
	`ciphertext` blob NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`sender_expires_at` integer
);
--> statement-breakpoint
CREATE INDEX `queue_recipient` ON `queue` (`recipient_account`,`recipient_device`,`seq`);--> statement-breakpoint
CREATE INDEX `queue_expiry` ON `queue` (`expires_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `queue_dedupe` ON `queue` (`recipient_account`,`recipient_device`,`sender_account`,`sender_device`,`client_message_id`);--> statement-breakpoint
CREATE TABLE `removed_devices` (
	`account_id` text NOT NULL,
	`device_id` integer NOT NULL,
	`removed_at` integer NOT NULL,
	PRIMARY KEY(`account_id`, `device_id`)
);
