CREATE TABLE `queue_bodies` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`data` blob NOT NULL
);
--> statement-breakpoint
CREATE TABLE `queue_usage` (
	`recipient_account` text NOT NULL,
	`recipient_device` integer NOT NULL,
	`count` integer NOT NULL,
	`bytes` integer NOT NULL,
	PRIMARY KEY(`recipient_account`, `recipient_device`)
);
--> statement-breakpoint
ALTER TABLE `queue` ADD `body_id` integer;--> statement-breakpoint
ALTER TABLE `queue` ADD `size` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `queue_body` ON `queue` (`body_id`);--> statement-breakpoint
-- Hand-written below (drizzle-kit does not generate triggers or backfills).
-- Rows queued before this migration: their size, and the per-device totals.
UPDATE `queue` SET `size` = length(`ciphertext`);--> statement-breakpoint
INSERT INTO `queue_usage` (`recipient_account`, `recipient_device`, `count`, `bytes`)
  SELECT `recipient_account`, `recipient_device`, count(*), sum(`size`) FROM `queue`
  GROUP BY `recipient_account`, `recipient_device`;--> statement-breakpoint
CREATE TRIGGER `queue_usage_add` AFTER INSERT ON `queue` BEGIN
  INSERT INTO `queue_usage` (`recipient_account`, `recipient_device`, `count`, `bytes`)
    VALUES (NEW.`recipient_account`, NEW.`recipient_device`, 1, NEW.`size`)
    ON CONFLICT (`recipient_account`, `recipient_device`)
    DO UPDATE SET `count` = `count` + 1, `bytes` = `bytes` + excluded.`bytes`;
END;--> statement-breakpoint
CREATE TRIGGER `queue_usage_remove` AFTER DELETE ON `queue` BEGIN
  UPDATE `queue_usage` SET `count` = `count` - 1, `bytes` = `bytes` - OLD.`size`
    WHERE `recipient_account` = OLD.`recipient_account` AND `recipient_device` = OLD.`recipient_device`;
  DELETE FROM `queue_usage`
    WHERE `recipient_account` = OLD.`recipient_account` AND `recipient_device` = OLD.`recipient_device`
      AND `count` <= 0;
END;--> statement-breakpoint
CREATE TRIGGER `queue_body_release` AFTER DELETE ON `queue` WHEN OLD.`body_id` IS NOT NULL BEGIN
  DELETE FROM `queue_bodies`
    WHERE `id` = OLD.`body_id`
      AND NOT EXISTS (SELECT 1 FROM `queue` WHERE `body_id` = OLD.`body_id`);
END;
