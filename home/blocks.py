"""StreamField blocks for content pages."""

from __future__ import annotations

from wagtail import blocks
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.embeds.blocks import EmbedBlock
from wagtail.images.blocks import ImageChooserBlock


class HeadingBlock(blocks.StructBlock):
    text = blocks.CharBlock(max_length=200)
    level = blocks.ChoiceBlock(choices=[("h2", "Level 2"), ("h3", "Level 3")], default="h2")

    class Meta:
        icon = "title"
        template = "home/blocks/heading.html"


class QuoteBlock(blocks.StructBlock):
    text = blocks.TextBlock()
    attribution = blocks.CharBlock(required=False, max_length=200)

    class Meta:
        icon = "openquote"
        template = "home/blocks/quote.html"


class CallToActionBlock(blocks.StructBlock):
    title = blocks.CharBlock(max_length=120)
    text = blocks.TextBlock(required=False)
    page = blocks.PageChooserBlock(required=False)
    url = blocks.URLBlock(required=False, help_text="Used when no page is chosen.")
    button_label = blocks.CharBlock(max_length=40, default="Learn more")

    class Meta:
        icon = "pick"
        template = "home/blocks/call_to_action.html"


class ImageBlock(blocks.StructBlock):
    image = ImageChooserBlock()
    caption = blocks.CharBlock(required=False, max_length=250)

    class Meta:
        icon = "image"
        template = "home/blocks/image.html"


class ContentStreamBlock(blocks.StreamBlock):
    heading = HeadingBlock()
    paragraph = blocks.RichTextBlock(
        features=["bold", "italic", "link", "document-link", "ol", "ul", "h3", "h4"]
    )
    image = ImageBlock()
    document = DocumentChooserBlock(template="home/blocks/document.html")
    embed = EmbedBlock(max_width=960)
    quote = QuoteBlock()
    call_to_action = CallToActionBlock()
