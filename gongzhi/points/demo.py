"""Demo data for the points shop (积分超市) of a community.

Call ``seed_shop`` once the community exists, and ``seed_redemptions`` after the service
records have earned points (``points_earn``): it orders what people can afford, then picks
most orders up, cancels a few and leaves some awaiting pickup. Both are deterministic for a
given ``rng`` and database.
"""

import random

from gongzhi.places.models import Community
from gongzhi.points.models import Account, AccountKind, ShopItem
from gongzhi.points.services import redemption_cancel, redemption_fulfil, redemption_order

# name, description, price (1分≈1元), stock, limit per person
ITEMS = (
    ("金龙鱼食用油 5L", "调和油一桶", 80, 40, 1),
    ("东北大米 10斤", "当季新米", 50, 60, 2),
    ("洗衣液 2kg", "蓝月亮", 30, 80, 2),
    ("纯棉毛巾", "两条装", 10, 150, 4),
    ("抽纸 一提", "六包装", 15, 120, 3),
    ("牙膏牙刷套装", "", 12, 100, 2),
    ("理发券", "社区便民理发点，可用一次", 20, 60, 2),
    ("家电清洗券", "油烟机或空调清洗一次", 60, 20, 1),
    ("体检券", "社区卫生服务中心老年人体检套餐", 100, 15, 1),
    ("雨伞", "社区定制", 25, 50, 1),
)


def seed_shop(community: Community, *, rng: random.Random) -> list[ShopItem]:
    """A stocked shop; stock varies a little with ``rng``."""
    return [
        ShopItem.objects.get_or_create(
            community=community,
            name=name,
            defaults={
                "description": description,
                "price": price,
                "stock": stock + rng.randint(0, stock // 4),
                "per_person_limit": limit,
                "pickup_days": 7,
            },
        )[0]
        for name, description, price, stock, limit in ITEMS
    ]


def seed_redemptions(community: Community, *, rng: random.Random, share: float = 0.4) -> dict:
    """Orders by about ``share`` of the people with enough points for the cheapest item."""
    items = list(ShopItem.objects.filter(community=community, active=True).order_by("price"))
    if not items:
        return {"held": 0, "fulfilled": 0, "cancelled": 0}
    accounts = list(
        Account.objects.filter(
            community=community, kind=AccountKind.MAIN, balance__gte=items[0].price
        )
        .select_related("resident", "partner")
        .order_by("pk")
    )
    counts = {"held": 0, "fulfilled": 0, "cancelled": 0}
    for account in rng.sample(accounts, round(len(accounts) * share)):
        budget = account.balance
        for n in range(rng.randint(1, 3)):
            affordable = [i for i in items if i.price <= budget]
            if not affordable:
                break
            item = rng.choice(affordable)
            item.refresh_from_db(fields=["stock"])
            if item.stock < 1:
                continue
            redemption = redemption_order(
                holder=account.holder,
                item=item,
                actor=None,
                idempotency_key=f"demo:{account.pk}:{n}",
            )
            budget -= redemption.points
            roll = rng.random()
            if roll < 0.7:
                redemption_fulfil(redemption=redemption, actor=None)
                counts["fulfilled"] += 1
            elif roll < 0.8:
                redemption_cancel(redemption=redemption, actor=None, reason="改天再换")
                counts["cancelled"] += 1
            else:
                counts["held"] += 1
    return counts
