"""Create faq_item, and a view over it (DDL an app keeps in migrations, not in models).

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "faq_item",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(50), nullable=False, unique=True),
        sa.Column("done", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.execute("CREATE VIEW faq_open_item AS SELECT id, name FROM faq_item WHERE NOT done")


def downgrade():
    op.execute("DROP VIEW faq_open_item")
    op.drop_table("faq_item")
