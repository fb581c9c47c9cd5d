/** Migration 007 (cluster database): a bot's own answer to MCP tools that ask for approval. */
import type { Migration } from "./migration.ts";

/**
 * bots.mcp_approval: "approve" or "reject"; NULL follows MCP_TOOL_APPROVAL.
 * MySQL cannot say IF NOT EXISTS here: the runner ignores "already exists" when a run is repeated.
 */
export const botMcpApprovalMigration: Migration = {
  id: "007-bot-mcp-approval",
  target: "cluster",
  sqlite: ["ALTER TABLE bots ADD COLUMN mcp_approval TEXT"],
  mysql: ["ALTER TABLE bots ADD COLUMN mcp_approval VARCHAR(16) NULL"],
};

export default botMcpApprovalMigration;
