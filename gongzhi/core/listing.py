"""TRANSITIONAL: the list pages' helpers are ``gongzhi.accounts.listing`` (they read the user's
scope and the place tree, so they cannot live in core, which imports no domain app). This
re-export goes once the last importers are switched."""

from gongzhi.accounts.listing import (  # noqa: F401
    MAX_OPTIONS,
    PAGE_SIZE,
    BadFilter,
    PlaceGroup,
    PlaceOption,
    _bounded,
    can_export,
    choice_param,
    is_partial,
    paginate,
    place_options,
    place_param,
    render_bad_filter,
    render_list,
    require_export,
    text_param,
)
