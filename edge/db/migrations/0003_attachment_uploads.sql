-- Uploads of the earlier protocol (a declared digest, no upload token) can be neither finished nor read by current clients.
DELETE FROM `attachment_chunks`;--> statement-breakpoint
DELETE FROM `attachments`;--> statement-breakpoint
ALTER TABLE `attachments` ADD `token_hash` blob NOT NULL DEFAULT x'';--> statement-breakpoint
CREATE INDEX `attachments_owner` ON `attachments` (`owner_account`,`expires_at`);--> statement-breakpoint
CREATE INDEX `attachments_incomplete` ON `attachments` (`complete`,`created_at`);--> statement-breakpoint
ALTER TABLE `attachments` DROP COLUMN `digest`;
