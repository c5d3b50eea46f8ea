from services.notifications.app import create_app
from shared.service import serve

serve("notifications", create_app)
